// Validates Kubernetes objects against the API schemas, offline: reads a JSON array of objects on stdin, prints one
// line per problem ("<index> <kind>/<name>: <path>: <message>") and exits 1 when there is any, 0 otherwise.
//
// kubernetes-models checks types, enums and required fields, but its schemas allow unknown fields, so a misspelled
// field (imagePullPolcy) would pass; the API server would drop it in silence. To catch those, each object is
// validated through a Proxy that records which fields the schema's validator looked at: a field it never read,
// in an object whose keys it never enumerated (a map, such as labels), is unknown to the schema.
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as batch from "kubernetes-models/batch/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

// Only the API groups Tandem's manifests use; an object of any other apiVersion or kind is an error, not skipped.
const GROUPS = {
  "v1": core,
  "apps/v1": apps,
  "batch/v1": batch,
  "policy/v1": policy,
  "networking.k8s.io/v1": networking,
  "monitoring.coreos.com/v1": monitoring,
};

function modelOf(object) {
  const group = GROUPS[object?.apiVersion];
  const model = group?.[object?.kind];
  return typeof model === "function" && model.apiVersion === object.apiVersion && model.kind === object.kind
    ? model : null;
}

// Wraps value so that every read and enumeration of it, and of everything under it, is recorded.
function tracked(value, path, records, proxies) {
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (proxies.has(value)) {
    return proxies.get(value);
  }
  const record = { value, path, read: new Set(), enumerated: false };
  records.push(record);
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") {
        return v;
      }
      record.read.add(key);
      return tracked(v, path + "/" + key, records, proxies);
    },
    has(target, key) {
      record.read.add(String(key));
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
  proxies.set(value, proxy);
  return proxy;
}

function problemsOf(object) {
  const model = modelOf(object);
  if (!model) {
    return [`${object?.apiVersion ?? "(no apiVersion)"} ${object?.kind ?? "(no kind)"}: not a known API object`];
  }
  const problems = [];
  const instance = new model(object);
  const records = [];
  try {
    model.prototype.validate.call(tracked(instance, "", records, new Map()));
  } catch (e) {
    // ajv joins its errors as "data/a must ..., data/b must ..."
    for (const part of String(e.message).split(/\n|, (?=data[/ ])/)) {
      if (part.trim()) {
        problems.push(part.trim().replace(/^data/, ""));
      }
    }
  }
  for (const r of records) {
    if (r.enumerated || Array.isArray(r.value)) {
      continue;
    }
    for (const key of Object.keys(r.value)) {
      if (!r.read.has(key)) {
        problems.push(`${r.path}/${key}: unknown field`);
      }
    }
  }
  return problems;
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
let objects;
try {
  objects = JSON.parse(Buffer.concat(chunks).toString("utf8"));
} catch (e) {
  console.log(`stdin: not a JSON array of objects: ${e.message}`);
  process.exit(2);
}
if (!Array.isArray(objects)) {
  console.log("stdin: not a JSON array of objects");
  process.exit(2);
}
let count = 0;
objects.forEach((object, i) => {
  const name = `${object?.kind}/${object?.metadata?.name}`;
  for (const p of problemsOf(object)) {
    console.log(`${i} ${name}: ${p}`);
    count++;
  }
});
process.exit(count === 0 ? 0 : 1);

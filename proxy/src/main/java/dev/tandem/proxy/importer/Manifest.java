package dev.tandem.proxy.importer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One Kubernetes object read from an input file.
 *
 * @param file the file it came from
 * @param node the whole object
 */
public record Manifest(String file, String kind, String namespace, String name, JsonNode node) {

  /** {@code Kind namespace/name}, as the lines about it name it. */
  public String object() {
    return kind + " " + namespace + "/" + name;
  }

  /** The object's annotation, or null. */
  public String annotation(String key) {
    JsonNode v = node.path("metadata").path("annotations").get(key);
    return v == null || v.isNull() ? null : v.asText();
  }
}

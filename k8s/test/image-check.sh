#!/usr/bin/env bash
# Builds Tandem's image on a real JRE base without a registry or a Docker engine, then runs it as a container would:
# its layers unpacked into a root, the entry point started under chroot as the image's user, health asked for, then
# SIGTERM and the drain's exit code. For a machine that reaches Debian's mirror but no container registry (the CI
# here builds on an empty base: .ci/run). Needs root (debootstrap, chroot, mount), about 1 GB in $TMPDIR and 3 min.
#
#   k8s/test/image-check.sh            # prints the image's --version and the drain, exit 0 when all held
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-image-check.XXXXXX")
CHILD=
cleanup() {
  [ -z "$CHILD" ] || kill "$CHILD" 2>/dev/null || true
  umount "$WORK/image/proc" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[image-check] %s\n' "$*" >&2; }
command -v debootstrap >/dev/null || { log "debootstrap missing: apt-get install -y debootstrap"; exit 2; }

log "a Debian 12 root with openjdk-17-jre-headless (debootstrap, from $MIRROR)"
debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$WORK/base-root" "$MIRROR" \
  > "$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 1; }
rm -rf "$WORK"/base-root/var/cache/apt/archives/*.deb "$WORK"/base-root/var/lib/apt/lists/*

log "as a docker-save tarball, the base for Jib (tar://)"
mkdir -p "$WORK/base"
tar --numeric-owner -C "$WORK/base-root" -cf "$WORK/base/layer.tar" --exclude='./proc/*' --exclude='./sys/*' \
  --exclude='./dev/*' .
sha=$(sha256sum "$WORK/base/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$sha" > "$WORK/base/config.json"
echo '[{"Config":"config.json","RepoTags":["debian-jre:17"],"Layers":["layer.tar"]}]' > "$WORK/base/manifest.json"
tar -C "$WORK/base" -cf "$WORK/debian-jre.tar" manifest.json config.json layer.tar
rm -rf "$WORK/base-root" "$WORK/base"

log "the image on it (jib:buildTar)"
(cd "$ROOT" && TANDEM_IMAGE_BASE="tar://$WORK/debian-jre.tar" mvn -B -q -pl proxy -am package -DskipTests)
IMAGE=$ROOT/proxy/target/tandem-image.tar

log "its layers, unpacked in order"
mkdir -p "$WORK/x" "$WORK/image"
tar -C "$WORK/x" -xf "$IMAGE"
read -r USER_SPEC ENTRY < <(python3 - "$WORK/x" "$WORK/image" <<'EOF'
import json, subprocess, sys
x, root = sys.argv[1], sys.argv[2]
m = json.load(open(f"{x}/manifest.json"))[0]
c = json.load(open(f"{x}/{m['Config']}"))["config"]
for layer in m["Layers"]:
    subprocess.run(["tar", "--warning=no-unknown-keyword", "-xf", f"{x}/{layer}", "-C", root], check=True)
print(c["User"], c["Entrypoint"][0])
EOF
)
mount -t proc proc "$WORK/image/proc"
mkdir -p "$WORK/image/tmp" && chmod 1777 "$WORK/image/tmp"
run() { chroot --userspec="$USER_SPEC" "$WORK/image" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
  TANDEM_STATE_DIR=/tmp/state "$ENTRY" "$@"; }

log "user $USER_SPEC, entry point $ENTRY: --version"
run --version
cat > "$WORK/image/tmp/tandem.yaml" <<'EOF'
server: { host: 127.0.0.1, port: 18380, shutdown: { delay: 1s, timeout: 5s } }
admin: { host: 127.0.0.1, port: 18381, token: image-check-token }
backends: { legacy: "http://127.0.0.1:9" }
routes: [ { name: r, primary: legacy } ]
EOF
log "proxy --config: health, then SIGTERM"
run proxy --config /tmp/tandem.yaml > "$WORK/run.log" 2>&1 &
CHILD=$!
for _ in $(seq 1 60); do curl -fsS -o /dev/null http://127.0.0.1:18381/health/ready 2>/dev/null && break; sleep 0.5; done
curl -fsS http://127.0.0.1:18381/health/ready >/dev/null || { cat "$WORK/run.log"; exit 1; }
java_pid=$(pgrep -f -- "--config /tmp/tandem.yaml" | head -n 1)
ps -o user=,args= -p "$java_pid" >&2
kill -TERM "$java_pid"
rc=0; wait "$CHILD" || rc=$?
CHILD=
cat "$WORK/run.log"
[ "$rc" -eq 0 ] || { log "exit code $rc after SIGTERM, expected 0"; exit 1; }
log "all held: the image runs as $USER_SPEC on its own JRE and drains to exit 0"

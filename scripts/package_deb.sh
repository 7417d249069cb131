#!/usr/bin/env bash
# Builds a Debian package of ARNet Sketch: the app and the CLI, the desktop entry and icon, the
# bundled demo, the licences (dpkg-deb; no cargo-deb needed).
#
#   bash scripts/package_deb.sh [--release] [OUT_DIR]     # default OUT_DIR: ./dist
#
# Without --release it packages the binaries of README's build (scripts/run.sh): the same
# profile as the tests, dependencies at opt-level 3, so the model runs at release speed and
# nothing is compiled again. --release compiles the release profile (another 40-50 minutes on
# 2 cores the first time; docs/build.md).
#
# Installed layout: /usr/bin/arnet-app, /usr/bin/arnet, /usr/share/arnet-sketch/assets (the
# app finds it from /usr/bin, app/src/assets.rs), /usr/share/applications/arnet-sketch.desktop,
# /usr/share/icons/hicolor/256x256/apps/arnet-sketch.png, /usr/share/doc/arnet-sketch/.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
if [ "${1:-}" = "--release" ]; then
  profile=release
  shift
fi
out=${1:-dist}
target=${CARGO_TARGET_DIR:-target}
if [ "$profile" = release ]; then
  cargo build --release -p arnet-app -p arnet-cli --bins
else
  cargo build --workspace --all-targets
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
package="$root/arnet-sketch_${version}_${arch}"
install -Dm755 "$target/$profile/arnet-app" "$package/usr/bin/arnet-app"
install -Dm755 "$target/$profile/arnet" "$package/usr/bin/arnet"
strip --strip-unneeded "$package/usr/bin/arnet-app" "$package/usr/bin/arnet"
mkdir -p "$package/usr/share/arnet-sketch/assets"
cp -r assets/demo "$package/usr/share/arnet-sketch/assets/demo"
rm -rf "$package/usr/share/arnet-sketch/assets/demo/training"
install -Dm644 assets/icon/arnet-sketch.desktop \
  "$package/usr/share/applications/arnet-sketch.desktop"
install -Dm644 assets/icon/arnet-sketch.png \
  "$package/usr/share/icons/hicolor/256x256/apps/arnet-sketch.png"
install -Dm644 LICENSE-MIT "$package/usr/share/doc/arnet-sketch/LICENSE-MIT"
install -Dm644 LICENSE-APACHE "$package/usr/share/doc/arnet-sketch/LICENSE-APACHE"
install -Dm644 README.md "$package/usr/share/doc/arnet-sketch/README.md"
install -Dm644 assets/demo/LICENSE-fashion-mnist \
  "$package/usr/share/doc/arnet-sketch/LICENSE-fashion-mnist"
size=$(du -sk "$package/usr" | cut -f1)
# What the window and the GPU need at run time: the same list scripts/run.sh installs
# (scripts/requirements.sh, groups gpu and window).
source scripts/requirements.sh
depends=$(for group in gpu window; do
  for item in $(_arnet_group "$group"); do echo "${item%%=*}"; done
done | paste -sd, - | sed 's/,/, /g')
mkdir -p "$package/DEBIAN"
cat > "$package/DEBIAN/control" <<EOF
Package: arnet-sketch
Version: $version
Section: graphics
Priority: optional
Architecture: $arch
Maintainer: ARNet Sketch developers <arnet-sketch@users.noreply.github.com>
Installed-Size: $size
Depends: libc6, libgcc-s1, libstdc++6, $depends
Description: draw a garment, see the closest photos of your collection
 ARNet Sketch is a desktop application in which a fashion designer draws a garment freehand
 and sees, live while drawing, the photos of their own folder that best match the sketch
 (ARNet, fine-grained sketch-based image retrieval). It includes the arnet command-line tool
 to index, search, evaluate and fine-tune.
EOF
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$package" "$out/" >&2
ls "$out"/arnet-sketch_"${version}"_"${arch}".deb

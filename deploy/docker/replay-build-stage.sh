#!/usr/bin/env bash
# Replays the build stage of deploy/docker/Dockerfile without a Docker engine, for machines that have the
# .NET SDK but cannot run `docker build` (this project's CI machines among them):
#   bash deploy/docker/replay-build-stage.sh [OUT_DIR]      (default: artifacts/image-build)
# Each COPY of the build stage is carried out, in order, into an empty folder standing for /src (without
# bin/ and obj/, as .dockerignore does), then each RUN, with /app mapped to OUT_DIR/app. A restore that
# needs a file the Dockerfile does not copy, or a publish that needs one, fails here as it would in the
# image build. It does not check the runtime stage (the base image is not available without an engine).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$repo/artifacts/image-build}" && cd "${1:-$repo/artifacts/image-build}" && pwd)
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
src="$out/src"
rm -rf "$src" "$out/app"
mkdir -p "$src"

# The build stage's instructions, continuation lines joined, comments dropped.
stage=$(awk '/^FROM .* AS build/{on=1; next} /^FROM /{on=0} on' "$repo/deploy/docker/Dockerfile" \
    | grep -v '^[[:space:]]*#' | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')

while IFS= read -r line; do
    case "$line" in
        COPY\ --from*) echo "replay: unsupported in the build stage: $line" >&2; exit 2 ;;
        COPY\ *)
            read -r -a words <<<"${line#COPY }"
            dest=${words[-1]}
            unset 'words[-1]'
            for s in "${words[@]}"; do
                if [ -d "$repo/$s" ]; then
                    mkdir -p "$src/$dest"
                    (cd "$repo/$s" && tar --exclude=./bin --exclude=./obj --exclude='*/bin' --exclude='*/obj' -cf - .) | (cd "$src/$dest" && tar -xf -)
                else
                    mkdir -p "$src/$dest"
                    cp "$repo/$s" "$src/$dest"
                fi
            done
            echo "replay: COPY ${line#COPY }" ;;
        RUN\ *)
            cmd=${line#RUN }
            cmd=${cmd//\/app/$out/app}
            echo "replay: RUN $cmd"
            (cd "$src" && TARGETARCH=$arch bash -c "$cmd") ;;
        ARG\ *|WORKDIR\ /src|"") ;;
        *) echo "replay: not replayed: $line" >&2 ;;
    esac
done <<<"$stage"

echo "replay: the build stage succeeded; the image's /app is $out/app"

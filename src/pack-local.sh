#!/usr/bin/env bash
# Packs Ddpm.Core and Ddpm.Evaluation from this clone into a local folder, the way in until the
# packages are on a public feed (docs/getting-started.md, "From a clone").
#
#   bash src/pack-local.sh [FOLDER] [extra dotnet pack arguments, e.g. --no-build]
#
# FOLDER defaults to ~/ddpm-packages. Then, in your app's folder, add a nuget.config that names
# FOLDER (the script prints one) and `dotnet add package Ddpm.Core --version VERSION`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
folder="${1:-$HOME/ddpm-packages}"
shift || true
mkdir -p "$folder"
folder="$(cd "$folder" && pwd)"

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -1)"
if [ -z "$version" ]; then
  echo "pack-local: no <Version> in Directory.Build.props" >&2
  exit 1
fi

# A package of the same version already in NuGet's cache would be used instead of the new one.
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$cache/ddpm.core/$version" "$cache/ddpm.evaluation/$version"

for project in Ddpm.Core Ddpm.Evaluation; do
  dotnet pack "$repo/src/$project" -c Release -o "$folder" "$@"
done

cat <<EOM

Packed Ddpm.Core $version and Ddpm.Evaluation $version into $folder.
In your app's folder, save this as nuget.config (the machine's default feed still serves TorchSharp):

<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="ddpm-local" value="$folder" />
  </packageSources>
</configuration>

then:
  dotnet add package Ddpm.Core --version $version
  dotnet add package TorchSharp-cpu
EOM

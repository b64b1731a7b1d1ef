#!/usr/bin/env bash
# Prepare what the lent many-core/GPU machine needs (it has no network and no DPDK):
#   .dpdk/        testpmd + libs + PMDs (shared/tools/dpdk-bundle.sh), libpcap, and a wrapper
#   .whl/         pure-Python wheels the device's Python 3.12 lacks (d3rlpy, gym*, jsonschema, scapy, ...)
#   .devbundle/   prebuilt static fastpath benchmark binaries and l2fwd_tune
# Then run:  device tool `run` with carry [".dpdk", ".whl", ".devbundle"] and
#            command `bash benchmarks/device/run.sh`
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
for d in .dpdk .whl .devbundle; do grep -qx "/$d/" .git/info/exclude || echo "/$d/" >> .git/info/exclude; done
bash ../shared/tools/dpdk-bundle.sh
for lib in $(ldd .dpdk/pmds/librte_net_pcap.so.23 | awk '$3 ~ /^\// {print $3}'); do
  name=$(basename "$lib")
  case "$name" in libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*) continue;; esac
  [ -f ".dpdk/lib/$name" ] || cp -L "$lib" ".dpdk/lib/$name"
done
cat > .dpdk/testpmd.sh <<'WRAP'
#!/bin/sh
# testpmd from the carried bundle, with its PMDs loaded explicitly
d=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$d/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$d/bin/dpdk-testpmd" $(for p in "$d"/pmds/*.so.*; do printf -- '-d %s ' "$p"; done) "$@"
WRAP
chmod +x .dpdk/testpmd.sh
mkdir -p .whl
for p in d3rlpy==2.8.1 gymnasium==1.0.0 gym-notices farama-notifications dataclasses-json marshmallow==3.26.2 \
         typing-inspect structlog jsonschema==4.26.0 jsonschema-specifications referencing rpds-py scapy==2.8.0; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$p"
done
.venv/bin/pip wheel -q --no-deps -w .whl gym==0.26.2   # sdist only on PyPI
rm -rf .devbundle && .venv/bin/python benchmarks/fastpath_bench.py --bundle .devbundle/bench --prepare-only
for d in .devbundle/bench/d*; do LDFLAGS=-static CSRC=$PWD/csrc sh "$d/build.sh" 1 . compile; done
.venv/bin/python benchmarks/l2fwd_tune_overhead.py --static --prepare .devbundle/bench/l2fwd
du -sh .dpdk .whl .devbundle

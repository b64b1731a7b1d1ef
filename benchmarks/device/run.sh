#!/usr/bin/env bash
# One device session (prepared by benchmarks/device/prepare.sh): many-core testpmd scaling
# (pcap_null, memif), calibration on those runs, and the prebuilt fastpath benchmarks.
# Read the fastpath results back here with:
#   benchmarks/fastpath_bench.py --bundle .devbundle/bench --timings <untarred fb/>
#   benchmarks/l2fwd_tune_overhead.py --from-jsonl <untarred fb/>/l2fwd.jsonl
set -u
export PYTHONUNBUFFERED=1
L=$OUT/log.txt
{ nproc; lscpu | grep -E "Model name|MHz"; python3 --version; } > $L 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >> $L 2>&1 || echo "wheel install failed" >> $L
export PYTHONPATH=/tmp/site:$PWD/workflow
T=$PWD/.dpdk/testpmd.sh
echo "== pcap_null scaling" >> $L
timeout 120 python3 benchmarks/testpmd_scaling.py --cores 1,2,4,8,12 --trials 1 --testpmd $T --memory-mb 1024 --out $OUT/pcap >> $L 2>&1
echo "== memif scaling" >> $L
timeout 80 python3 benchmarks/testpmd_scaling.py --cores 1,2,4 --trials 1 --topology memif --testpmd $T --memory-mb 1024 --out $OUT/memif >> $L 2>&1
echo "== calibrate (pcap_null dataset)" >> $L
timeout 60 python3 -m dpdktune.cli calibrate --measurements $OUT/pcap/dataset.parquet --out $OUT/calibrated.yaml --report $OUT/calibrate.json >> $L 2>&1
echo "== fastpath bench" >> $L
mkdir -p /tmp/fb && OUT=/tmp/fb timeout 150 sh csrc/bench/run_bundle.sh .devbundle/bench >> $L 2>&1
tar -C /tmp -czf $OUT/fastpath_timings.tgz fb
echo "== done" >> $L

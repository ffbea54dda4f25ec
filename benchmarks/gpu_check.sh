#!/bin/bash
# The GPU checks of issue 9 in one prepared run, for a machine with a GPU and CuPy (the image
# of the device machine has cupy, pytest, pytest-xdist and a CUDA torch; ember is pure Python,
# so it runs from src/). Logs go to $OUT (default /tmp/gpu-out).
#
#   bash benchmarks/gpu_check.sh [pytest args...]
set -o pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 CUPY_CACHE_DIR=$PWD/.cupy_cache
if [ -f .cupy_cache.tgz ]; then tar xzf .cupy_cache.tgz; fi    # kernels compiled by an earlier run
python3 -c "import sys, numpy, cupy; print(sys.version.split()[0], 'numpy', numpy.__version__,
'cupy', cupy.__version__, 'devices', cupy.cuda.runtime.getDeviceCount())"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
date -u
timeout ${TEST_TIMEOUT:-300} python3 -m pytest tests/test_cupy.py -q -p no:cacheprovider \
    -n ${WORKERS:-12} --timeout 120 -rf --tb=short "$@" 2>&1 | tee "$OUT/test_cupy.log" | tail -n 60
date -u
for batch in 64 512; do
    timeout ${BENCH_TIMEOUT:-90} python3 benchmarks/gpu_bench.py --steps 20 --batch $batch 2>&1 \
        | tee -a "$OUT/bench.log"
done
# a batch large enough for the GPU's kernels, not the launches, to dominate (GPU rows only)
timeout ${BENCH_TIMEOUT:-90} python3 benchmarks/gpu_bench.py --steps 20 --batch 8192 \
    --devices cuda 2>&1 | tee -a "$OUT/bench.log"
date -u
tar czf "$OUT/cupy_cache.tgz" .cupy_cache 2>/dev/null && ls -la "$OUT"

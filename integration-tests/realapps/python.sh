# python3: pytest on a small test file (threading, multiprocessing Pool,
# subprocess, tmp_path); the timing is left out.
set -eu
rm -rf /tmp/py && mkdir -p /tmp/py && cd /tmp/py
cat >test_realapps.py <<'PY'
import multiprocessing
import subprocess
import threading


def square(x):
    return x * x


def test_arithmetic():
    assert sum(range(10)) == 45


def test_threads_and_lock():
    total = [0]
    lock = threading.Lock()

    def work(n):
        for _ in range(10000):
            with lock:
                total[0] += n

    ts = [threading.Thread(target=work, args=(i,)) for i in range(1, 5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert total[0] == 100000


def test_pool():
    with multiprocessing.Pool(3) as pool:
        assert pool.map(square, range(20)) == [x * x for x in range(20)]


def test_subprocess_pipe():
    p = subprocess.run(["sh", "-c", "cat; echo err >&2; exit 3"], input="in\n",
                       capture_output=True, text=True)
    assert (p.returncode, p.stdout, p.stderr) == (3, "in\n", "err\n")


def test_tmp_path(tmp_path):
    (tmp_path / "f").write_text("data")
    assert (tmp_path / "f").read_text() == "data"
PY
python3 -m pytest -q -p no:cacheprovider test_realapps.py | sed 's/ in [0-9.]*s.*//'
python3 - <<'PY'
import concurrent.futures, hashlib, multiprocessing, subprocess
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    print("threads", sorted(ex.map(lambda i: hashlib.sha256(bytes([i]) * 100000).hexdigest()[:8], range(4))))
ctx = multiprocessing.get_context("fork")
with ctx.Pool(2) as p:
    print("pool", p.map(abs, [-1, -2, 3]))
print("subprocess", subprocess.check_output(["python3", "-c", "print(6*7)"]).decode().strip())
PY

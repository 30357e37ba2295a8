"""Issue 13: a container recipe, proven where a container engine exists. The Dockerfile's image
is built from a wheelhouse made here, run with a control token from the environment, and checked:
the API answers, the control API wants the token, the HEALTHCHECK passes, the user is not root.

Skipped, with the reason, where there is no podman (CI installs nothing by hand) or no base image:
container registries are not reachable from this project's machines, so the base is a Debian
bookworm image made with debootstrap from Debian's mirror when debootstrap is here."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PODMAN = shutil.which("podman")
LOCAL_BASE = "localhost/huskyvoice-base:bookworm"
pytestmark = pytest.mark.skipif(PODMAN is None, reason="no container engine (podman) on this machine")


def podman(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    # runc where it is installed: crun refuses hybrid cgroups (this VM's). Limits podman would
    # otherwise raise past the hard ones it may not set here.
    runtime = ["--runtime", "runc"] if shutil.which("runc") else []
    return subprocess.run([PODMAN, *runtime, *args], capture_output=True, text=True, timeout=timeout, check=check)


LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


def base_image(tmp_path_factory) -> str:
    wanted = os.environ.get("CONTAINER_BASE")
    if wanted:
        return wanted
    if podman("image", "exists", LOCAL_BASE, check=False).returncode == 0:
        return LOCAL_BASE
    if shutil.which("debootstrap"):
        rootfs = tmp_path_factory.mktemp("rootfs")
        subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), "http://deb.debian.org/debian"],
                       check=True, capture_output=True, timeout=900)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run([PODMAN, "import", "-", LOCAL_BASE], stdin=tar.stdout, check=True, capture_output=True)
        tar.wait()
        return LOCAL_BASE
    pytest.skip("no base image: registries are not reachable here and debootstrap is not installed "
                "(set CONTAINER_BASE to an image with Python 3.11 or Debian bookworm)")


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> str:
    context = tmp_path_factory.mktemp("context")
    shutil.copy(ROOT / "Dockerfile", context / "Dockerfile")
    shutil.copy(ROOT / ".dockerignore", context / ".dockerignore")
    dist = context / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(dist / "wheels"),
                    str(next(dist.glob("*.whl")))], check=True, capture_output=True, timeout=600)
    tag = "localhost/huskyvoice-mock:test"
    built = podman("build", "--format", "docker", *LIMITS, "--build-arg", f"BASE={base_image(tmp_path_factory)}",
                   "-t", tag, str(context), check=False)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return tag


def get(url: str, headers: dict | None = None) -> int:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:  # not listening yet
        return 0


def test_the_image_serves_the_mock_as_non_root_with_a_token_and_a_healthcheck(image):
    """Issue 13: non-root user, --host 0.0.0.0, a control token from the environment, HEALTHCHECK on /_mock/health."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cid = podman("run", "-d", *LIMITS, "-p", f"127.0.0.1:{port}:4010", "-e", "HUSKYVOICE_CONTROL_TOKEN=s3cret",
                 image).stdout.strip()
    try:
        deadline = time.monotonic() + 30
        while get(f"http://127.0.0.1:{port}/_mock/health", {"X-Mock-Control-Token": "s3cret"}) != 200:
            assert time.monotonic() < deadline, podman("logs", cid, check=False).stdout[-2000:]
            time.sleep(0.2)
        assert get(f"http://127.0.0.1:{port}/v1/appointment-slots/availability?date=2026-06-15",
                   {"Authorization": "Bearer YOUR_API_KEY"}) == 200
        assert get(f"http://127.0.0.1:{port}/_mock/health") == 401  # off the loopback: the token or nothing
        assert podman("healthcheck", "run", cid, check=False).returncode == 0
        assert podman("exec", cid, "id", "-u").stdout.strip() != "0"
    finally:
        podman("rm", "-f", cid, check=False)

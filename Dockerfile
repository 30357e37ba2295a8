# The mock as a container: huskyvoice-mock on 0.0.0.0:4010 as a non-root user, its control API
# behind HUSKYVOICE_CONTROL_TOKEN (off the loopback the control API needs a token, and the health
# check uses it), health checked on /_mock/health. The image installs from a wheelhouse built
# on the host (no index inside the build: nothing to trust or reach from there):
#   .venv/bin/python -m build --wheel --outdir dist
#   .venv/bin/python -m pip wheel --wheel-dir dist/wheels dist/huskyvoice_contract_kit-*.whl
#   podman build -t huskyvoice-mock .                                           (or docker build)
#   podman run -d -p 4010:4010 -e HUSKYVOICE_CONTROL_TOKEN=... huskyvoice-mock
# BASE is any image with Python 3.11, or a Debian bookworm one (Python 3.11 is installed then).
ARG BASE=docker.io/library/python:3.11-slim
FROM ${BASE}
RUN command -v python3.11 >/dev/null || (apt-get update && apt-get install -y --no-install-recommends \
        python3.11 python3.11-venv ca-certificates && rm -rf /var/lib/apt/lists/*)
RUN useradd --system --create-home --uid 10001 mock
COPY dist/wheels /tmp/wheels
RUN python3.11 -m venv /opt/huskyvoice \
    && /opt/huskyvoice/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels huskyvoice-contract-kit \
    && rm -rf /tmp/wheels
USER mock
EXPOSE 4010
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["/opt/huskyvoice/bin/python", "-c", "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:4010/_mock/health', headers={'X-Mock-Control-Token': os.environ['HUSKYVOICE_CONTROL_TOKEN']}), timeout=2)"]
CMD ["/opt/huskyvoice/bin/huskyvoice-mock", "--host", "0.0.0.0", "--port", "4010"]

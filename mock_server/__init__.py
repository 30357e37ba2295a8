"""The HuskyVoice mock server: a Connexion 3 AsyncApp driven by openapi.yaml."""
import warnings

# Connexion imports starlette.testclient at import time, which warns about httpx;
# the mock never uses that client, so the warning only confuses users.
warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

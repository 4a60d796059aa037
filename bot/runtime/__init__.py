"""The running process: settings (loaded once, passed down), `build_app` that wires every part,
logs, Prometheus metrics, the HTTP server of /healthz and /metrics, and the injected clock
(`clock.py`) the rounds read."""

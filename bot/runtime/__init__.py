"""The running process: settings (loaded once, passed down), `build_app` that wires every part,
logs, Prometheus metrics and the HTTP server of /healthz and /metrics."""

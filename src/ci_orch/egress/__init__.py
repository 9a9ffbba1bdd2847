"""The egress filter: one object that scrubs every text leaving the process.

`filter.Egress.build(config, env)` once at start-up; `egress.scrub(text)` at each sink;
`streams.install(egress)` for logs and the standard streams. What it scans with (the
secret rules, the configured keys, the encodings and split values) lives in
`ci_orch.gate.secrets`, which the diff redaction shares; egress only depends on it.
"""

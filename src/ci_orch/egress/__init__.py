"""The egress filter: one object that scrubs every text leaving the process.

`filter.Egress.build(config, env)` once at start-up; `egress.scrub(text)` at each sink;
`streams.install(egress)` for logs and the standard streams. The scanning parts
(`encodings`, `known`, `split`, `rules`) import nothing from the rest of ci_orch but the
secret rules, so the diff redaction can use them too.
"""

"""Use cases: load rows, apply the domain rules, write rows, emit events.

Services flush and never commit; the edge that started the work (a request, a job run, a CLI
command) owns the transaction. Each takes the time it should consider "now" from its caller.
"""

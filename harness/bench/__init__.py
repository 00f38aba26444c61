"""``harness bench``: the harness's speed, beside moto and web-push-testing.

One module per family of figures (:mod:`.embedded`, :mod:`.served`,
:mod:`.memory`, :mod:`.mobile_push`, :mod:`.web_push`, :mod:`.scaling`), the
servers they start (:mod:`.servers`, :mod:`.processes`), the load generator
(:mod:`.loadgen`), and the report (:mod:`.figures`, :mod:`.table`);
:mod:`.command` is the CLI. docs/benchmarks.md records a run.
"""

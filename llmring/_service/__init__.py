"""The parts ``llmring.service.LLMRing`` is made of, one concern per module.

Private to the service: only ``llmring.service`` imports it (an import-linter contract says so).
Each module holds one mixin class, and ``LLMRing`` inherits them all, so every method keeps its
name on the class (``ring._route``, ``ring._open_store`` and ``ring.get_provider`` are what they
were, for tests and callers alike) and a call's path looks its steps up on one class, as before:
no delegating wrapper adds a frame to a call. Each mixin subclasses the parts it calls, so the
arrows between them are written down and mypy checks them::

    state.RingState              the attributes LLMRing.__init__ sets (declarations only)
    ├── store.StorePlumbing      the store, the response cache's backend, routing, sync commits
    │   ├── pricing.CallPricing  pricing a call, strict_cost refusals, unpriced_reason
    │   └── queries.LedgerQueries  the registry and call-log query API
    └── providers.ProviderRegistry  providers made on first use, on one shared HTTP client
    calls.CallSteps(CallPricing, ProviderRegistry)  one model's attempt: cache, budget, send, log
    chain.AliasFallback(CallSteps)  an alias's chain of models, one hop after another
"""

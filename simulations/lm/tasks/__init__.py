"""Stage 1 of ``coherence lm``, the tasks: items with gold labels, consistency groups and prompt
formats, before any model sees them. :mod:`.registry` (the named tasks and
:func:`~simulations.lm.tasks.registry.make_task`), :mod:`.item`, :mod:`.jsonl` (user files),
:mod:`.template`, :mod:`.relations` (consistency groups and their constraints), :mod:`.subset`,
:mod:`.vader` and :mod:`.geography` (real data), :mod:`.synthetic` (generated claims),
:mod:`.formats`, :mod:`.prompt_length`, :mod:`.constraints` (the constraint names and their leak) and
:mod:`.constraint_choice`.
"""

"""Stage 4 of ``coherence lm``, the results: runs of the searches written to files, read back, judged
and drawn. :mod:`.table` and :mod:`.table_file` (the resumable table), :mod:`.landscape`,
:mod:`.diagnose`, :mod:`.verdict`, :mod:`.predictions` (P1-P8), :mod:`.report` (the docs blocks),
:mod:`.figures`, :mod:`.training_table`, :mod:`.training_file` (its file format)
and :mod:`.training_figure`.
"""

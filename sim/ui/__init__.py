"""The interfaces: the ``jambi-sim`` command (:mod:`.cli`, :mod:`.study_commands`) and the
workshop dashboard (:mod:`.dashboard`, the page's logic; :mod:`.app`, the Solara page).
The top layer: nothing in ``sim`` imports it.
"""

"""The show layer: how results look. Labels and number formats in Bahasa Indonesia and
English (:mod:`.i18n`), the figures of a run (:mod:`.plots`) and the generated parameter
table of the ODD document (:mod:`.odd`). It reads the runner's tables; it runs nothing.
"""

"""The show layer: how results look. Labels and number formats in Bahasa Indonesia and
English (:mod:`.i18n`), the figures of a run (:mod:`.plots`), the accounting and gap
attribution tables and figures (:mod:`.gap`), visits and cost of enrolled households by
distance and DTKS listing (:mod:`.equity`) and the generated parameter table of the ODD
document (:mod:`.odd`). It reads the runner's tables; it runs nothing.
"""

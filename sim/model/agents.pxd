# Types for the compiled core (sim/_compiled.py): Cython reads this beside agents.py; the
# Python source stays the reference. A household's state is read at nearly every event of
# its life (the population's stocks, its case, its exits): its fields sit in the object
# itself as C numbers and strings, read by the population (sim/model/population.pxd)
# without Python's attribute lookup. Household is a Mesa agent deriving from this class.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
# No pickling when compiled: Cython's would save these fields but not the Mesa fields that
# Household keeps in slots of its own, and a household is never sent between processes.
cimport cython

@cython.auto_pickle(False)
cdef class HouseholdState:
    cdef public object life
    cdef public long long idx, rt
    cdef public str segment
    cdef public long long members
    cdef public bint eligible, has_docs, in_dtks
    cdef public double cost_factor, patience
    cdef public bint referred, aware
    cdef public str status, exit_reason
    cdef public bint ever_enrolled, counted
    cdef public str last_end
    cdef public long long setbacks
    cdef public bint door_wait
    cdef public object case
    cdef public long long exit_gen
    cdef public str filed

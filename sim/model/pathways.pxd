# Types for the compiled core (sim/_compiled.py): Cython reads this beside pathways.py; the
# Python source stays the reference. The case flow runs at about every second event (each
# arrival, each desk's decision): its fields sit in the object itself, not in a dict, and
# its methods call one another without Python's method lookup.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython
from sim.engine.events cimport EventQueue
from sim.engine.streams cimport KeyedDraws
from sim.model.cases cimport Case, CaseRecord, VisitLog
from sim.model.coordination cimport CoordinationRules
from sim.model.office_state cimport OfficeState
from sim.model.program cimport Quota
from sim.model.scenario_numbers cimport ScenarioNumbers

@cython.final
cdef class CaseFlow:
    cdef public object sc, clock
    cdef public EventQueue events  # at: a C call
    cdef public ScenarioNumbers num  # the scenario's numbers the handlers read
    cdef public CoordinationRules rules  # its handoff: a C call
    cdef public object program, trace
    cdef public Quota quota  # C calls
    cdef public dict routes, step_office, next_office
    cdef public double t_online, t_single
    cdef public dict rework_prob
    cdef public double p_mismatch
    cdef public bint tables
    cdef public list cases
    cdef public CaseRecord record
    cdef public VisitLog journey
    cdef public long long open
    cdef public dict counts, where, dropout
    cdef public long long handoffs
    cdef public dict held
    cdef public object u_tolerance  # once a case; a test puts a sequential stream there
    cdef public KeyedDraws u_docs  # draw and group: C calls
    cdef public dict u_handoff
    cdef public KeyedDraws u_verify_wait, u_rework, u_resend, u_reconsider
    cdef public double horizon
    cdef public object city
    cpdef str pathway_at(self, double t)
    cpdef _move(self, Case case, str where)
    cpdef log(self, double t, str event, Case case, str detail=*, str stage=*)
    cpdef _visit(self, Case case, str stage, double t)
    cpdef _end_visit(self, Case case, double t, str result)
    cpdef OfficeState office(self, Case case)
    cpdef bint still_wanted(self, Case case, double t)
    cpdef _step(self, double t, Case case)
    @cython.locals(office=OfficeState)
    cpdef go(self, double t, Case case)
    cpdef bint gives_up(self, Case case, double t, double trip_cost, str stage)
    @cython.locals(draws=KeyedDraws, u=cython.float[:])
    cpdef approve(self, Case case, double t)
    cpdef _verification_round(self, Case case, double t, office)

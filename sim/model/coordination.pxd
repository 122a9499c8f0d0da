# Types for the compiled core (sim/_compiled.py): Cython reads this beside coordination.py;
# the Python source stays the reference. The rules decide every hand-off (about one event
# in six of a city replication): the barrier levels sit in the object as C doubles, and the
# case flow (sim/model/pathways.pxd) calls handoff without Python's method lookup, its
# numbers passed and unpacked as C types.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython
from sim.engine.worktime cimport WorkCalendar

@cython.final
cdef class CoordinationRules:
    cdef public object c, clock
    cdef public double network, collab
    cdef public bint hierarchy, approval_gate
    cdef public double p_bounce, p_escalate, p_report_hold, cherry_pick, turf_multiplier
    cdef public double p_diverge, p_verify, mismatch_factor, escalation_days
    cdef public list freezes
    cdef public object relations
    cpdef double service_multiplier(self, str stage)
    cpdef double queue_key(self, str stage, double work_time, bint complex_case)
    cpdef bint diverges(self, str stage, double u)
    @cython.locals(u_verify=double, u_hold=double, u_escalate=double, u_bounce=double,
                   u_settle=double, e_latency=double, e_escalation=double, latency=double,
                   escalation=double, p_verify=double, p_hold=double, p_escalate=double,
                   p_bounce=double, f=double, verify=bint, held=bint, bounce=bint,
                   arrive=double, thawed=double)
    cpdef tuple handoff(self, str src, str dst, double t, double mean, WorkCalendar cal,
                        bint carried, float[:] u)
    @cython.locals(wd=long)
    cpdef double _next_friday(self, double t)
    @cython.locals(lo=double, hi=double)
    cpdef double _after_freeze(self, double t)
    cpdef double next_sitting(self, double t)

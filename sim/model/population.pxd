# Types for the compiled core (sim/_compiled.py): Cython reads this beside population.py;
# the Python source stays the reference. The population acts at about one event in three
# (awareness, decisions, exits, word of mouth) and keeps the people stocks at each: its
# fields sit in the object itself, its households' state is read as C fields
# (sim/model/agents.pxd), and its methods call one another without Python's method lookup.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython
from sim.engine.events cimport EventQueue
from sim.engine.scalars cimport Scalars
from sim.engine.streams cimport KeyedDraws
from sim.model.agents cimport HouseholdState
from sim.model.program cimport Quota
from sim.model.scenario_numbers cimport ScenarioNumbers

@cython.final
cdef class Population:
    cdef public object model, sc, clock
    cdef public EventQueue events
    cdef public object streams, pathway_at, on_apply
    cdef public Quota quota  # C calls
    cdef public bint keep_departed
    cdef public list households, rt_members
    cdef public long long eligible_people, aware_people, ever_people
    cdef public KeyedDraws u_awareness, u_consider, u_exit, u_word
    cdef public ScenarioNumbers num
    cdef public KeyedDraws u_reentry, u_door, u_illness, u_rt, u_initial
    cdef public list inflow_factor
    cdef public double _illness_rate
    cdef public long long ever_eligible_people
    cdef public dict gone_people
    cdef public long long turned_away, comebacks, from_pbi_jk
    cdef public long long counted_active_people
    cdef public dict settled_people, unsettled
    cdef public double _exit_household_rate
    cdef public object _exit_event
    cpdef HouseholdState _register(self, long long rt, str segment, long long members,
                                   bint eligible, bint has_docs, bint in_dtks,
                                   double cost_factor, double patience)
    cpdef HouseholdState _new_household(self, double t, Scalars rng, bint eligible, bint aware)
    cpdef _count(self, HouseholdState hh, long long sign)
    cpdef _file(self, HouseholdState hh, long long sign)
    cpdef _refile(self, HouseholdState hh)
    cpdef hear(self, HouseholdState hh, double t)
    @cython.locals(u=double, e=double)
    cpdef consider(self, HouseholdState hh, double t)
    cpdef apply(self, HouseholdState hh, double t)
    @cython.locals(u=double, e=double)
    cpdef turn_away(self, HouseholdState hh, double t)
    cpdef come_back(self, HouseholdState hh, double t)
    cpdef recruit(self, HouseholdState hh, double t)
    cpdef _schedule_illness(self, HouseholdState hh, double t)
    cpdef enroll(self, HouseholdState hh, double t)
    @cython.locals(u=double, lam=double, p=double, cdf=double, k=long)
    cpdef tell_neighbours(self, HouseholdState hh, double t)
    @cython.locals(e=double, u_cause=double)
    cpdef _schedule_exit(self, HouseholdState hh, double t)
    cpdef leave(self, HouseholdState hh, double t, str reason)
    cpdef case_closed(self, HouseholdState hh)
    cpdef forget(self, HouseholdState hh)
    cpdef lose_member(self, HouseholdState hh, double t)

# Types for the compiled core (sim/_compiled.py): Cython reads this beside scenario_numbers.py; the
# Python source stays the reference. The scenario's numbers the event handlers read, as C
# fields: each is a copy of the scenario parameter of the same name (its unit, range and
# source are there, in sim/scenario).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython

@cython.final
cdef class ScenarioNumbers:
    # population
    cdef public double share_homeless_neglected, share_mental_disorder, household_size
    cdef public long long n_rt
    cdef public double valid_docs_share, in_dtks_share, arrivals_per_year
    # behaviour
    cdef public double patience, apply_prob_online, apply_prob_manual, apply_delay_days
    cdef public double reconsider_days, docs_days, rework_days, travel_gap_days
    cdef public double burden_per_wait_day, burden_per_visit, burden_per_100k_idr
    # coordination
    cdef public double handoff_days_paper, handoff_days_online, verification_days
    # awareness
    cdef public double background_per_year, word_of_mouth_contacts, word_of_mouth_days
    # exits
    cdef public double death_per_year, move_per_year, income_rise_per_year
    # rationing
    cdef public bint front_door
    cdef public double retry_prob, retry_days
    # demand
    cdef public double rt_recruit_per_year, illness_apply_prob, illness_apply_days
    # reentry
    cdef public double reapply_per_year, memory, reactivation_prob, reactivation_days

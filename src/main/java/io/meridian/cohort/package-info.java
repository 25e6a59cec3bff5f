/**
 * "Follow the sun" cohorts (issue 17): a cohort of users is owned by one region at a time, and the
 * owner changes with the time of day. {@link io.meridian.cohort.CohortSchedule} holds the rule of
 * one cohort (windows of local time in a zone, or a rotation of fixed periods in UTC) as an
 * immutable value and answers, for any instant, which region owns the cohort, the window it is in,
 * and when the next hand-off happens; it is pure Java, parsed from config text or JSON, and knows
 * nothing of actors. The rest of the package applies it: the directory of cohorts and the sweep
 * that hands a cohort's users over when its window ends.
 */
package io.meridian.cohort;

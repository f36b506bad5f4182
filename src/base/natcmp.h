/* natcmp.h: "natural" string order, where runs of digits compare by value
 * ("node-2" < "node-10"), used wherever names are shown or iterated. */
#ifndef MESHPERF_NATCMP_H
#define MESHPERF_NATCMP_H

/* <0, 0, >0 like strcmp, but digit runs compare as numbers of any length
 * (leading zeros ignored). A total order: names equal by value but spelt
 * differently ("01" and "1") are told apart by strcmp. */
int natcmp(const char *a, const char *b);

#endif

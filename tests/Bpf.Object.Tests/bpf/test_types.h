/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "local" kernel types the test programs are compiled against, in the style of probes/bpf/include/kernel.h:
 * only the fields we use, marked preserve_access_index so clang emits CO-RE relocations for every access.
 * testdata/target_btf.c declares the same types with other layouts (the "target kernel").
 */
#ifndef TEST_TYPES_H
#define TEST_TYPES_H

#include <linux/types.h>

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	unsigned int flags;
	char comm[16];
};

/* A flavor: "___v2" is stripped when matching, so this matches the target's task_struct too. */
struct task_struct___v2 {
	int pid;
	int tgid;
	int field_only_in_v2;      /* missing in the target: exists = 0, reads are poisoned */
};

struct bits {
	unsigned int low : 3;
	unsigned int mid : 7;
	int sig : 6;
	unsigned long long wide;
};

struct nested_inner {
	short a;
	long long b;
};

struct nested {
	int x;
	struct nested_inner inner;
	struct nested_inner arr[4];
};

/* The target has two candidates for this (amb and amb___two) that disagree: ambiguous, so poisoned. */
struct amb {
	int a;
	int b;
};

/* 4 bytes here, 8 in the target: a direct load of it is widened. */
struct sized_field {
	int before;
	unsigned int value;
};

#pragma clang attribute pop

enum test_state {
	TEST_STATE_A = 0,
	TEST_STATE_B = 1,
	TEST_STATE_ONLY_LOCAL = 2,
};

struct only_local_type {
	int nothing;
};

#endif

/*
 * libkpi - incremental customer-service KPIs.
 * SPDX-License-Identifier: MIT
 */
/**
 * @file kpi.h
 * @brief The umbrella header: includes every libkpi module.
 *
 * Include this one header, or only the module headers under kpi/ that you
 * use; each compiles on its own, from C and C++.
 */
#ifndef KPI_H
#define KPI_H

#include "kpi/common.h"
#include "kpi/staffing.h"
#include "kpi/score.h"
#include "kpi/rate.h"
#include "kpi/mean.h"
#include "kpi/group.h"
#include "kpi/calendar.h"
#include "kpi/sla.h"
#include "kpi/customers.h"
#include "kpi/ratio.h"
#include "kpi/series.h"
#include "kpi/duration.h"
#include "kpi/service_level.h"
#include "kpi/distinct.h"
#include "kpi/topk.h"
#include "kpi/engine.h"

#endif /* KPI_H */

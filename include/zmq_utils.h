/*
 * zmq_utils.h: kept so that programs which include it still build. Everything it once declared
 * is in zmq.h; including this file only warns.
 * SPDX-License-Identifier: MPL-2.0
 */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic warning "-Wcpp"
#pragma GCC diagnostic ignored "-Wall"
#pragma message("Warning: zmq_utils.h is deprecated. All its functionality is provided by zmq.h.")
#pragma GCC diagnostic pop
#endif

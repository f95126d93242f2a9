/*
 * dns_relay.h — Docker's embedded DNS (127.0.0.11:53) relayed from the
 * sandbox's stack to a UDP socket the runtime opened in the container's
 * network namespace (dns_relay.c).
 */
#ifndef VISOR_SENTRY_SOCKET_DNS_RELAY_H
#define VISOR_SENTRY_SOCKET_DNS_RELAY_H

/* Bind 127.0.0.11:53 (UDP) in the sandbox's stack and relay its queries
 * over host_fd (owned from here, also on failure: a UDP socket connected
 * to 127.0.0.11:53 in the container's namespace) from a "dnsrelay" thread.
 * Call from a jailed thread (the new thread inherits its filter).  0,
 * -ENODEV (no stack), -EBUSY (already relaying), the bind's error. */
int dns_relay_start(int host_fd);
/* Stop the thread and close the endpoint and the socket (tests). */
void dns_relay_stop(void);
/* The readiness cookie of the relay's endpoint, and its wake-up (called
 * by inet_stack.c's ready callback for that cookie). */
void *dns_relay_cookie(void);
void dns_relay_wake(void);

#endif

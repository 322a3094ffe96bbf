/**
 * Settings of the provisioning queue shared by the local bootstrap (fauxqs, LocalStack) and the
 * SST infra, so every backend redrives and hides messages the same way.
 */

/** How many receives a job gets before SQS moves it to the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

/** The worker Lambda's timeout: one provisioning job (controller + every route server) must fit. */
export const WORKER_TIMEOUT_SECONDS = 300;

/** Must exceed the worker's timeout so a running job is never handed to a second worker. */
export const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 360;

/** How long a dead-lettered job stays for inspection and redrive (the SQS maximum, 14 days). */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/** Every route server is reconciled at least this often, whatever happened (drift, policy, lost triggers). */
export const RECONCILE_SCHEDULE_MINUTES = 10;

/** When a job fires: exactly one kind. */
export type Trigger =
  /** A cron pattern (5 fields, or 6 with seconds), in the time zone `tz` (IANA name; default: the host's). */
  | { cron: string; tz?: string }
  /** Every `everyMs`, counted from `start()`. */
  | { everyMs: number }
  /** Once, at this time. */
  | { at: Date };

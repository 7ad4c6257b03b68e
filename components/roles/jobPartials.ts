import { readTemplate } from "../templates";
import { SHITHUB_UNIT_PARTIALS } from "../release/units";

/** The partials of a job unit: shithub's service hardening, and the root job's sandbox. */
export const JOB_PARTIALS = { rootJob: readTemplate("systemd", "hardening-root-job.mustache"), ...SHITHUB_UNIT_PARTIALS };

/**
 * Stage policy. Production stages keep their data when the app is removed and refuse
 * `sst remove`; every other stage (personal, pr-123, ci) is disposable.
 */
export const PRODUCTION_STAGES = ["production", "prod"] as const;

export function isProductionStage(stage: string): boolean {
  return (PRODUCTION_STAGES as readonly string[]).includes(stage);
}

/** Risk levels of a gate, lowest first (DESIGN section 11). A gate's level is the highest that applies. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The level of a gate no policy rule speaks about. */
export const DEFAULT_RISK_LEVEL: RiskLevel = 'medium';

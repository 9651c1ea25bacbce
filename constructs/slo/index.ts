export * from './alarm-topic';
export * from './burn-rate';
export * from './burn-rate-alarms';
export * from './infrastructure-alarms';
export * from './service-dashboard';
export * from './sli';
export * from './slo-alarms';
export * from './slo-config';

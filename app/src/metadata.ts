// Where this copy runs, for GET /: the ECS task metadata endpoint (v4) gives the Availability Zone and
// the task ARN. Outside ECS the variable is absent and both stay unknown.
export interface TaskInfo {
  readonly availabilityZone?: string;
  readonly taskArn?: string;
}

export async function fetchTaskInfo(env: Readonly<Record<string, string | undefined>> = process.env): Promise<TaskInfo> {
  const uri = env.ECS_CONTAINER_METADATA_URI_V4;
  if (!uri) return {};
  try {
    const res = await fetch(`${uri}/task`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return {};
    const body = (await res.json()) as { AvailabilityZone?: string; TaskARN?: string };
    return { availabilityZone: body.AvailabilityZone, taskArn: body.TaskARN };
  } catch {
    return {};
  }
}

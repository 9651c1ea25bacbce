import { Annotations, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allowCloudWatchLogsToUseKey } from '../common/log-encryption';
import { newEncryptionKey } from '../common/encryption-key';

export interface MultiAzNetworkProps {
  /**
   * Availability Zones to span, given explicitly so synthesis needs no context lookup.
   * At least two; three lets the service lose a zone and still run in two.
   */
  readonly availabilityZones: string[];

  /**
   * NAT gateways. With fewer than one per zone, the zones without one send their egress through
   * another zone and lose it when that zone fails.
   * @default - one per Availability Zone
   */
  readonly natGateways?: number;

  /**
   * IPv4 range of the VPC.
   * @default 10.0.0.0/16
   */
  readonly cidr?: string;

  /**
   * Retention of the VPC flow logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * Key that encrypts the flow log group.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A VPC over explicit Availability Zones with three tiers of subnets in every zone:
 * public (load balancer), private with egress (tasks) and isolated (database),
 * a NAT gateway per zone, flow logs to an encrypted log group, and an S3 gateway endpoint.
 */
export class MultiAzNetwork extends Construct {
  /** Subnet group names, usable in `SubnetSelection.subnetGroupName`. */
  public static readonly PUBLIC = 'Public';
  public static readonly APP = 'App';
  public static readonly DATA = 'Data';

  public readonly vpc: ec2.Vpc;
  public readonly flowLogGroup: logs.LogGroup;
  public readonly encryptionKey: kms.IKey;
  /** Subnets for internet-facing load balancers. */
  public readonly publicSubnets: ec2.SubnetSelection = { subnetGroupName: MultiAzNetwork.PUBLIC };
  /** Subnets for tasks: private, with egress through the zone's own NAT gateway. */
  public readonly appSubnets: ec2.SubnetSelection = { subnetGroupName: MultiAzNetwork.APP };
  /** Subnets for databases: no route to or from the internet. */
  public readonly dataSubnets: ec2.SubnetSelection = { subnetGroupName: MultiAzNetwork.DATA };

  constructor(scope: Construct, id: string, props: MultiAzNetworkProps) {
    super(scope, id);

    const zones = props.availabilityZones;
    const natGateways = props.natGateways ?? zones.length;
    const cidr = props.cidr ?? '10.0.0.0/16';
    const flowLogRetention = props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR;

    if (zones.length < 2) {
      throw new Error(`availabilityZones must list at least 2 zones, got ${zones.length}: ${JSON.stringify(zones)}`);
    }
    const duplicate = zones.find((zone, i) => zones.indexOf(zone) !== i);
    if (duplicate) {
      throw new Error(`availabilityZones must not repeat a zone, got "${duplicate}" twice in ${JSON.stringify(zones)}`);
    }
    if (!Token.isUnresolved(natGateways) && (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > zones.length)) {
      throw new Error(`natGateways must be an integer between 1 and the number of zones (${zones.length}), got ${natGateways}`);
    }
    if (natGateways < zones.length) {
      Annotations.of(this).addWarningV2(
        'ha:sharedNatGateway',
        `natGateways is ${natGateways} for ${zones.length} Availability Zones: tasks in zones without a NAT gateway ` +
          'reach the internet (ECR, Secrets Manager, CloudWatch) through another zone, and lose it when that zone fails.',
      );
    }

    this.encryptionKey =
      props.encryptionKey ??
      newEncryptionKey(this, 'Key', 'Encrypts the VPC flow logs');
    allowCloudWatchLogsToUseKey(this.encryptionKey);

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: this.encryptionKey,
      retention: flowLogRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones: zones,
      natGateways,
      subnetConfiguration: [
        { name: MultiAzNetwork.PUBLIC, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        // Tasks get the largest range: autoscaling and 200 % deployments need an ENI per task.
        { name: MultiAzNetwork.APP, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: MultiAzNetwork.DATA, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
      flowLogs: {
        All: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
  }

  /** The private subnets (task and database tiers) of one zone: what a zone outage takes away. */
  public privateSubnetsIn(availabilityZone: string): ec2.ISubnet[] {
    return [this.appSubnets, this.dataSubnets].flatMap((tier) => this.vpc.selectSubnets({ ...tier, availabilityZones: [availabilityZone] }).subnets);
  }
}

import { RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * Shown as the sender of e-mail and SMS notifications.
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Addresses subscribed by e-mail (each must confirm the subscription once).
   * @default - no subscription
   */
  readonly emailAddresses?: readonly string[];
  /**
   * Key that encrypts the topic. CloudWatch must be allowed to use it: an imported key's policy must
   * already grant `cloudwatch.amazonaws.com` kms:Decrypt and kms:GenerateDataKey*.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * An SNS topic for alarm notifications, encrypted with a customer-managed KMS key that CloudWatch may use.
 * The AWS-managed `alias/aws/sns` key does not work here: its policy cannot be changed to let CloudWatch
 * alarms publish, so notifications would be dropped silently.
 */
export class AlarmTopic extends Construct {
  public readonly topic: sns.Topic;
  public readonly encryptionKey: kms.IKey;
  /** The alarm action that publishes to this topic. */
  public readonly alarmAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);

    const emailAddresses = props.emailAddresses ?? [];
    for (const address of emailAddresses) {
      if (!EMAIL_PATTERN.test(address)) throw new Error(`emailAddresses must hold e-mail addresses, got ${JSON.stringify(address)}`);
    }

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Encrypts alarm notifications',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    // CloudWatch publishes alarm notifications as itself; without this grant it cannot encrypt them.
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    for (const address of emailAddresses) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));
    }
    this.alarmAction = new cloudwatchActions.SnsAction(this.topic);
  }
}

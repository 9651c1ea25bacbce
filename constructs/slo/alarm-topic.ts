import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { newEncryptionKey } from '../common/encryption-key';

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
  readonly emailAddresses?: string[];
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
      newEncryptionKey(this, 'Key', 'Encrypts alarm notifications');
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
    // A topic policy replaces SNS's default one, and enforceSSL creates a topic policy: without this statement
    // nothing may publish, and every alarm notification fails with "not authorized to perform SNS:Publish"
    // (AWS Knowledge Center, cloudwatch-receive-sns-for-alarm-trigger). Only this account's alarms may publish,
    // so another account's alarm cannot use the topic (confused deputy).
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    for (const address of emailAddresses) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));
    }
    // Subscriptions may be added to `topic` after construction, so look at synthesis time.
    this.node.addValidation({
      validate: () => {
        if (!this.topic.node.findAll().some((c) => c instanceof sns.Subscription)) {
          Annotations.of(this).addWarningV2(
            'ha:alarmTopicNoSubscriber',
            'Nobody is notified: the alarm topic has no subscription. Pass emailAddresses or add a subscription to `topic`.',
          );
        }
        return [];
      },
    });
    this.alarmAction = new cloudwatchActions.SnsAction(this.topic);
  }
}

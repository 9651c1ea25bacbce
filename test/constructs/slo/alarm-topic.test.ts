import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { describe, expect, it } from 'vitest';
import { AlarmTopic } from '@ha-reference/constructs';

function noSubscriberWarnings(stack: Stack) {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Nobody is notified'));
}

describe('AlarmTopic', () => {
  it('warns at synthesis that nobody is notified when the topic has no subscription', () => {
    const stack = new Stack(new App(), 'Stack');
    new AlarmTopic(stack, 'Topic');
    expect(noSubscriberWarnings(stack)).toHaveLength(1);
  });

  it('does not warn with an e-mail subscription', () => {
    const stack = new Stack(new App(), 'Stack');
    new AlarmTopic(stack, 'Topic', { emailAddresses: ['oncall@example.com'] });
    expect(noSubscriberWarnings(stack)).toHaveLength(0);
  });

  it('does not warn when a subscription is added to the topic after construction', () => {
    const stack = new Stack(new App(), 'Stack');
    const topic = new AlarmTopic(stack, 'Topic');
    topic.topic.addSubscription(new subscriptions.UrlSubscription('https://pager.example.com/hook'));
    expect(noSubscriberWarnings(stack)).toHaveLength(0);
  });
});

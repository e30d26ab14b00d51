"""The only package that talks to AWS (boto3/botocore). Everything above it sees typed calls and
`reconciler.errors.AwsError`, never botocore exceptions."""

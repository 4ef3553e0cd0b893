"""sidenote: comments for blogs, served from AWS Lambda on DynamoDB global tables."""

-- The front page lists the latest posts.
CREATE INDEX blog_post_published_at_idx ON blog_post (published_at);

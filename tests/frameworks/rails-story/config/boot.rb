# No Bundler: the system's gems, so the project runs without a network.
ENV["RAILS_ENV"] ||= "development"

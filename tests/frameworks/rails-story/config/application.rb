require_relative "boot"

require "rails"
require "active_record/railtie"

module RailsStory
  # Active Record only: the migrations are all this project has.
  class Application < Rails::Application
    config.load_defaults 6.1
    config.eager_load = false
    config.logger = Logger.new($stderr)
    config.log_level = :warn
  end
end

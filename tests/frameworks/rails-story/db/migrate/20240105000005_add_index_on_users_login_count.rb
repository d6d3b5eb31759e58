class AddIndexOnUsersLoginCount < ActiveRecord::Migration[6.1]
  def change
    add_index :users, :login_count
  end
end

public class UserDao {
    java.sql.ResultSet find(java.sql.Statement stmt, String name) throws java.sql.SQLException {
        return stmt.executeQuery("SELECT * FROM users WHERE name = '" + name + "'");
    }
}
